//! `Sanitize`: how a typed body is cleaned, field by field.

/// A value that knows how to clean itself. The validating extractors of
/// shieldwall-validate call it after validation, and validate again when it
/// changed something (a name that was only markup is empty afterwards).
///
/// ```
/// use shieldwall_sanitize::{HtmlPolicy, Sanitize, clean_identifier_in_place};
///
/// struct Profile { name: String, bio: Option<String> }
///
/// impl Sanitize for Profile {
///     fn sanitize(&mut self) -> bool {
///         let name = HtmlPolicy::strip_all().clean_in_place(&mut self.name);
///         let invisible = clean_identifier_in_place(&mut self.name);
///         let bio = self.bio.as_mut().is_some_and(|bio| HtmlPolicy::basic_formatting().clean_in_place(bio));
///         name | invisible | bio
///     }
/// }
///
/// let mut p = Profile { name: "<b>Ada</b>\u{202e}".into(), bio: Some("<p onclick=x>hi</p>".into()) };
/// assert!(p.sanitize());
/// assert_eq!((p.name.as_str(), p.bio.as_deref()), ("Ada", Some("<p>hi</p>")));
/// ```
///
/// A type with nothing to clean says so with an empty impl (`impl Sanitize
/// for Query {}`): a deliberate statement, not a default.
pub trait Sanitize {
    /// Cleans `self` in place; true when anything changed.
    fn sanitize(&mut self) -> bool {
        false
    }
}

impl<T: Sanitize> Sanitize for Option<T> {
    fn sanitize(&mut self) -> bool {
        self.as_mut().is_some_and(Sanitize::sanitize)
    }
}

impl<T: Sanitize> Sanitize for Vec<T> {
    fn sanitize(&mut self) -> bool {
        self.iter_mut()
            .fold(false, |changed, item| item.sanitize() | changed)
    }
}

impl<T: Sanitize> Sanitize for Box<T> {
    fn sanitize(&mut self) -> bool {
        (**self).sanitize()
    }
}
