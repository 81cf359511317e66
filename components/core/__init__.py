"""The building blocks every component stands on: SSH, remote steps, read-back host state, rendering, the
component base, and the parsers of strings a stack copies from elsewhere."""
