"""Team key-hygiene policies (docs/policies.md): what every new or changed credential of a team must
satisfy, and the report of credentials that predate them."""
