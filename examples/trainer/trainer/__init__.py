"""Example Vertex AI training package: ``python -m trainer.task --target-column=species``."""
