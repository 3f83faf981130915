"""Users of an authority. Operations only for now; the "Users" tab arrives with its issue."""
