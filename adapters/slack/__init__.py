"""Slack, on slack-bolt's AsyncApp: translate Slack payloads to neutral commands and replies to Block Kit."""
