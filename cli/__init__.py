"""The `panel` command line: a thin click layer over the panel application and its views."""
