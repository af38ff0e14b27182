//! Short lists without a heap allocation in the usual case: the one
//! signature of a request, its handful of components and parameters.

/// Up to `N` values inline, more on the heap. `filler` stands in the unused
/// inline slots (a cheap value of `T`).
#[derive(Debug)]
pub(crate) struct Few<T, const N: usize> {
    inline: [T; N],
    len: usize,
    /// Every value once there were more than `N` (empty until then).
    heap: Vec<T>,
}

impl<T: Clone, const N: usize> Few<T, N> {
    pub(crate) fn new(filler: &T) -> Self {
        Self {
            inline: std::array::from_fn(|_| filler.clone()),
            len: 0,
            heap: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, value: T) {
        if self.heap.is_empty() {
            if let Some(slot) = self.inline.get_mut(self.len) {
                *slot = value;
                self.len += 1;
                return;
            }
            self.heap = Vec::with_capacity(N.saturating_mul(2).max(4));
            self.heap.extend(self.inline.iter().cloned());
        }
        self.heap.push(value);
    }

    pub(crate) fn as_slice(&self) -> &[T] {
        if self.heap.is_empty() {
            self.inline.get(..self.len).unwrap_or_default()
        } else {
            &self.heap
        }
    }
}

/// One value inline, more on the heap: a dictionary's members, of which
/// there is nearly always one.
#[derive(Debug)]
pub(crate) struct OneOrMore<T> {
    first: Option<T>,
    rest: Vec<T>,
}

impl<T> Default for OneOrMore<T> {
    fn default() -> Self {
        Self {
            first: None,
            rest: Vec::new(),
        }
    }
}

impl<T> OneOrMore<T> {
    pub(crate) fn push(&mut self, value: T) {
        if self.first.is_none() {
            self.first = Some(value);
        } else {
            self.rest.push(value);
        }
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.first.is_some()) + self.rest.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.first.is_none()
    }

    pub(crate) fn last_mut(&mut self) -> Option<&mut T> {
        match self.rest.last_mut() {
            Some(last) => Some(last),
            None => self.first.as_mut(),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> + Clone {
        self.first.iter().chain(self.rest.iter())
    }
}

impl<T> IntoIterator for OneOrMore<T> {
    type Item = T;
    type IntoIter = std::iter::Chain<std::option::IntoIter<T>, std::vec::IntoIter<T>>;

    fn into_iter(self) -> Self::IntoIter {
        self.first.into_iter().chain(self.rest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_spills_to_the_heap_in_order() {
        let mut few: Few<u32, 2> = Few::new(&0);
        assert!(few.as_slice().is_empty());
        few.push(1);
        few.push(2);
        assert_eq!(few.as_slice(), [1, 2]);
        few.push(3);
        few.push(4);
        assert_eq!(few.as_slice(), [1, 2, 3, 4]);
    }

    #[test]
    fn one_or_more_keeps_order() {
        let mut list = OneOrMore::default();
        assert!(list.is_empty());
        assert_eq!(list.last_mut(), None);
        list.push(1);
        *list.last_mut().unwrap() += 10;
        list.push(2);
        list.push(3);
        *list.last_mut().unwrap() += 10;
        assert_eq!(list.len(), 3);
        assert_eq!(list.iter().copied().collect::<Vec<_>>(), [11, 2, 13]);
        assert_eq!(list.into_iter().collect::<Vec<_>>(), [11, 2, 13]);
    }
}
