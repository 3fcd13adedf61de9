-- Names are unique by their compatibility caseless key (NFKC and case folding)
-- from this version on: Madang re-keys the stored names right after this
-- migration (`Db::rekey_names`). Staff names are read on every sign-up and rename,
-- to refuse lookalikes of them.
CREATE INDEX users_role ON users (role);
