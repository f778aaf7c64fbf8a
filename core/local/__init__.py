"""The local backend: every Azure object mirrored by a real local part."""
