"""The credential core: what every credential kind shares (DESIGN section 2).

- `keys.core.authorization`: the one rule every management action on every kind goes through.
- `keys.core.lifecycle`: the one family of lifecycle services (update, revoke, disable/enable, the
  audit record and event) that each kind's thin services call.
"""
