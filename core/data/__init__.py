"""The Data step: reading a CSV safely, typing its columns, splitting and summarising it."""
