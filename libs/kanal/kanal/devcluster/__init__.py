"""Running a whole Kanal cluster as local child processes: `kanal dev up` and the tests."""
