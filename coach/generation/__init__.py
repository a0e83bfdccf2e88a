"""Running generations: their context, and the runs that turn engine events into streams."""
