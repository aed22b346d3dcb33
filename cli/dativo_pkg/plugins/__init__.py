"""The built-in readers and writers, shipped as entry points of dativo-pkg."""
