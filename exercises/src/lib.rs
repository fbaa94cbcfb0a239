//! (placeholder so the workspace loads; replace)
