"""Pure view builders (text and keyboard) of the decision cards: the use cases render them for
the people they tell, the handlers for the person acting, tests call them without a bot."""
