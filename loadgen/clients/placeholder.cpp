// Intentionally empty until the folder has sources.
