"""Microsoft Teams: botbuilder's activity handling and token checks, with Tally's own adapter and connector
sending every reply over the process's one HTTP session. Every botbuilder import stays inside this package."""
