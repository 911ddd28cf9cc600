"""Example KFP pipelines (compiled with kfp, run on Vertex AI Pipelines or on the local emulator)."""
