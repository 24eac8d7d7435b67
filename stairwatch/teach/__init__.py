"""A site teaches its own detector: reviewed events become an Ultralytics dataset and an
evaluation set of the site's clips (:mod:`.export`), models are compared on them
(:mod:`.compare`) and switched in only when they do better (:mod:`.promote`)."""
