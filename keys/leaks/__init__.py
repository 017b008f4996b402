"""How leak reports arrive: the public revoke endpoint, GitHub secret scanning and GitLab secret detection."""
