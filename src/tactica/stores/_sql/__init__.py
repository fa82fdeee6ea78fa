"""What the SQL backends share: one repository over any connection of the small protocol."""
