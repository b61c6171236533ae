"""The `kanal` command line: `kanal --help` lists the commands."""
