"""Reports rendered from the marts (the weekly executive report)."""
