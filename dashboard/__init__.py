"""The web dashboard (FastAPI). Reads the store; never writes to the pipeline."""
