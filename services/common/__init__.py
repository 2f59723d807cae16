"""Code shared by the backend, monitor and trainer images (built with services/ as the context)."""
