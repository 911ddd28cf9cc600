"""The Pulumi program: the stack config of the selected stack, then its resources (see ``program``)."""

from program import main

main()
