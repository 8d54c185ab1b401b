"""The seven log analyses of the seed, each a mergeable accumulator, and the category tally."""
