"""The web console (issue 15): aiohttp pages for institution staff, supervisors and admins on
the product's web server, in every run mode. `routes.Console` serves them; `views` builds the
export tables; sign-in and the use cases are `bot/services/console.py`."""
