"""runs-fleet functions: the GitHub webhook, the cold-start runner and the event recorder."""
