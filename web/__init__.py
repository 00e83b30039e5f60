"""The public web service (`panel serve`): a thin entry point over the same application layer as the CLI."""
