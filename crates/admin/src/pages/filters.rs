//! A list's filters in its side bar: fixed choices, the one seminar a list was reached
//! from, and the categories as a tree that opens at the selected branch.

use madang_domain::categories::CategoryNode;
use madang_domain::console::ModelSpec;

use super::*;

/// One entry of the category tree, in document order: a branch's children follow it
/// up to the `End` that closes it.
pub enum TreeItem {
    /// A category without children.
    Leaf(LinkView),
    /// A category with children. `open` when the selected category is it or below it;
    /// `toggle` names the control that shows or hides the children.
    Branch {
        link: LinkView,
        open: bool,
        toggle: String,
    },
    End,
}

/// The side bar's filters, each with "All" first.
pub(super) async fn filters(
    st: &AdminState,
    spec: &ModelSpec,
    query: &ListQuery,
    params: &Params,
    lang: Lang,
) -> Result<Vec<FilterView>, Error> {
    let mut out = Vec::new();
    for f in spec.filters {
        let current = query.filter(f.key);
        let mut options = vec![LinkView {
            label: lang.t("all").to_owned(),
            href: params.refine(f.key, None),
            active: current.is_none(),
        }];
        let mut tree = Vec::new();
        match f.choices {
            Choices::Fixed(values) => {
                for v in values {
                    options.push(LinkView {
                        label: lang.t(v).to_owned(),
                        href: params.refine(f.key, Some(v)),
                        active: current == Some(*v),
                    });
                }
            }
            // Reached from a seminar's page: only the chosen one is offered.
            Choices::Seminar => {
                if let Some(id) = current {
                    options.push(LinkView {
                        label: format!("#{id}"),
                        href: params.refine(f.key, Some(id)),
                        active: true,
                    });
                }
            }
            Choices::Categories => {
                let roots = st.console.category_tree().await?.roots();
                let selected = current.and_then(|v| v.parse::<i64>().ok());
                let link = |n: &CategoryNode| {
                    let id = n.id.to_string();
                    LinkView {
                        label: n.name.clone(),
                        active: current == Some(id.as_str()),
                        href: params.refine(f.key, Some(&id)),
                    }
                };
                let toggle = |n: &CategoryNode| lang.t("subcategories").replace("{name}", &n.name);
                tree = category_tree(&roots, selected, &link, &toggle);
            }
        }
        out.push(FilterView {
            label: lang.t(f.key),
            options,
            tree,
        });
    }
    Ok(out)
}

/// The categories depth-first as tree items, the branches above the selected category
/// (and the selected one itself) open, every other branch closed.
pub(super) fn category_tree(
    roots: &[CategoryNode],
    selected: Option<i64>,
    link: &dyn Fn(&CategoryNode) -> LinkView,
    toggle: &dyn Fn(&CategoryNode) -> String,
) -> Vec<TreeItem> {
    /// Pushes `nodes` and says whether the selected category is among them or below.
    fn walk(
        nodes: &[CategoryNode],
        selected: Option<i64>,
        link: &dyn Fn(&CategoryNode) -> LinkView,
        toggle: &dyn Fn(&CategoryNode) -> String,
        out: &mut Vec<TreeItem>,
    ) -> bool {
        let mut found = false;
        for n in nodes {
            let here = selected == Some(n.id);
            if n.children.is_empty() {
                out.push(TreeItem::Leaf(link(n)));
                found |= here;
                continue;
            }
            let at = out.len();
            out.push(TreeItem::Branch {
                link: link(n),
                open: false,
                toggle: toggle(n),
            });
            let below = walk(&n.children, selected, link, toggle, out);
            if let TreeItem::Branch { open, .. } = &mut out[at] {
                *open = here || below;
            }
            out.push(TreeItem::End);
            found |= here || below;
        }
        found
    }
    let mut out = Vec::new();
    walk(roots, selected, link, toggle, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: i64, children: Vec<CategoryNode>) -> CategoryNode {
        CategoryNode {
            id,
            name: format!("c{id}"),
            parent_id: None,
            tier: 1,
            prefixes: Vec::new(),
            prefix_required: false,
            children,
        }
    }

    /// 1 { 2 { 3, 4 }, 5 }, 6 { 7 }
    fn roots() -> Vec<CategoryNode> {
        vec![
            node(
                1,
                vec![
                    node(2, vec![node(3, vec![]), node(4, vec![])]),
                    node(5, vec![]),
                ],
            ),
            node(6, vec![node(7, vec![])]),
        ]
    }

    /// The tree as text: `[` opens a branch (`[+` when open), `]` closes it.
    fn shape(selected: Option<i64>) -> String {
        let link = |n: &CategoryNode| LinkView {
            label: n.name.clone(),
            href: format!("?category={}", n.id),
            active: selected == Some(n.id),
        };
        let toggle = |n: &CategoryNode| format!("below {}", n.name);
        category_tree(&roots(), selected, &link, &toggle)
            .iter()
            .map(|item| match item {
                TreeItem::Leaf(l) if l.active => format!("*{}", l.label),
                TreeItem::Leaf(l) => l.label.clone(),
                TreeItem::Branch { link, open, .. } => {
                    format!("[{}{}", if *open { "+" } else { "" }, link.label)
                }
                TreeItem::End => "]".to_owned(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn every_branch_is_closed_when_none_is_selected() {
        assert_eq!(shape(None), "[c1 [c2 c3 c4 ] c5 ] [c6 c7 ]");
    }

    #[test]
    fn the_branches_above_a_selected_leaf_open() {
        assert_eq!(shape(Some(4)), "[+c1 [+c2 c3 *c4 ] c5 ] [c6 c7 ]");
        assert_eq!(shape(Some(7)), "[c1 [c2 c3 c4 ] c5 ] [+c6 *c7 ]");
    }

    #[test]
    fn a_selected_branch_opens_itself_and_its_ancestors() {
        assert_eq!(shape(Some(2)), "[+c1 [+c2 c3 c4 ] c5 ] [c6 c7 ]");
    }

    #[test]
    fn an_unknown_selection_opens_nothing() {
        assert_eq!(shape(Some(99)), shape(None));
    }
}
