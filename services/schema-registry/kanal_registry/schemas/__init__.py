"""One module per schema format, each turning text into a `ParsedSchema` or `InvalidSchema`."""
