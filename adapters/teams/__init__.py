"""Microsoft Teams on botbuilder's CloudAdapter. Every botbuilder import stays inside this package."""
