"""What runs connectors and tasks: configs, converters, error handling and the task loops."""
