//! Audit logs.
