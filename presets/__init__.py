"""Built-in scaling-law presets (TOML data only; this file lets installers ship them as package data)."""
