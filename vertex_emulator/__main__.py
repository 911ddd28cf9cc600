"""`python -m vertex_emulator [--host H] [--port 8765] [--storage-port 8766] [--data-dir .vertex-emulator]`."""

from vertex_emulator._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
