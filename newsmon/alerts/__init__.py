"""Alerts on new mentions: rules (config), matching (match), state and delivery (engine),
pure rendering (render), transports (send), and a feed per rule (feed)."""
