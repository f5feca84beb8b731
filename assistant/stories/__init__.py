"""Story clustering: which stored articles report the same news event (words, match, cluster)."""
