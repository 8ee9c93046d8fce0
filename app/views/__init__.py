"""One blueprint per area of the site; views stay thin."""
