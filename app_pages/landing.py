"""The landing page at "/" (spec 6.1): the first screen a shared link or a projector shows."""
from llmbreaker.ui.landing import hero, tour

hero()
tour()
