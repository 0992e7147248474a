"""Deploy-time configuration: the one `Settings` object every entry point reads once."""
