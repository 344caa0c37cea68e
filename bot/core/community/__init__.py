"""The community side: milestones, celebrations and study buddies."""
