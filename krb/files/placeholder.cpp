// Intentionally empty until the layer has sources.
