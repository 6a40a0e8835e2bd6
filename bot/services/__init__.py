"""Use cases shared by chat handlers, scheduled jobs and (later) web pages."""
