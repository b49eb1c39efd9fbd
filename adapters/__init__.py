"""The outside world: Slack, Teams, the console, the HTTP server (composition root) and the CLI."""
