"""Words for people in the clinic's language: English, German and Russian message catalogues."""
