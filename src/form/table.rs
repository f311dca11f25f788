//! The detail table (`TableField`): a card per row with its columns as fields, add and remove, and the column
//! totals under it.

use api_types::form::{Field, FieldValue, FormValues, TableTotal, column_total, money_in_words};
use leptos::prelude::*;

use super::FormState;
use super::controls::FieldControl;
use crate::session::use_lang;

/// A table field's rows, each a card of its columns, with add/remove and totals.
#[component]
pub fn TableControl(
    /// The table field's id (errors of its cells name it) and the `data-testid` prefix of its parts.
    id: String,
    /// The form, for cell errors and names.
    form: FormState,
    /// The columns.
    columns: Vec<Field>,
    /// The add button's text.
    action_name: Option<String>,
    /// Sums shown under the table.
    totals: Vec<TableTotal>,
    /// The rows.
    value: Signal<Option<FieldValue>>,
    /// Called with all rows after a change.
    on_change: Callback<Option<FieldValue>>,
) -> impl IntoView {
    let lang = use_lang();
    let field_id = id.strip_prefix("field-").unwrap_or(&id).to_owned();
    let rows = Signal::derive(move || match value.get() {
        Some(FieldValue::Table(rows)) => rows,
        _ => Vec::new(),
    });
    let count = Memo::new(move |_| rows.with(Vec::len));
    let columns = StoredValue::new(columns);
    let set_rows = move |change: &dyn Fn(&mut Vec<FormValues>)| {
        let mut all = rows.get_untracked();
        change(&mut all);
        on_change.run(Some(FieldValue::Table(all)));
    };
    let add = move |_| set_rows(&|rows| rows.push(FormValues::new()));
    let row_view = {
        let (id, field_id) = (id.clone(), field_id.clone());
        move |index: usize| {
            let remove = move |_| {
                set_rows(&|rows| {
                    if index < rows.len() {
                        rows.remove(index);
                    }
                })
            };
            let cells = columns.get_value().into_iter().map(|column| {
                let col = column.id.clone();
                let cell_value = {
                    let col = col.clone();
                    Signal::derive(move || rows.with(|r| r.get(index).and_then(|row| row.get(&col).cloned())))
                };
                let set_cell = {
                    let col = col.clone();
                    Callback::new(move |cell: Option<FieldValue>| {
                        set_rows(&|rows| {
                            if let Some(row) = rows.get_mut(index) {
                                match cell.clone().filter(|c| !c.is_empty()) {
                                    Some(cell) => row.insert(col.clone(), cell),
                                    None => {
                                        row.remove(&col);
                                    }
                                }
                            }
                        })
                    })
                };
                let error = {
                    let (field_id, col) = (field_id.clone(), col.clone());
                    Signal::derive(move || form.error(&field_id, Some((index, &col))))
                };
                view! {
                    <FieldControl
                        form
                        field=column
                        value=cell_value
                        on_change=set_cell
                        error
                        test_id=format!("{id}-{index}-{col}")
                    />
                }
            });
            view! {
                <div class="form-row" data-testid=format!("{id}-row-{index}")>
                    <div class="form-row-head">
                        <span>{format!("{} ({})", lang.pick("明细", "Item"), index + 1)}</span>
                        <button
                            type="button"
                            class="form-row-remove"
                            data-testid=format!("{id}-remove-{index}")
                            aria-label=format!("{} {}", lang.pick("删除明细", "Remove item"), index + 1)
                            on:click=remove
                        >
                            {lang.pick("删除", "Remove")}
                        </button>
                    </div>
                    {cells.collect_view()}
                </div>
            }
        }
    };
    let totals_view = totals
        .into_iter()
        .map(|total| {
            let column = total.column_id.clone();
            let sum = Memo::new(move |_| rows.with(|r| column_total(r, &column)).unwrap_or_else(|| "0".to_owned()));
            let upper = total.upper;
            let words = move || if upper { sum.with(|s| money_in_words(s)) } else { None };
            let unit = total.unit.clone().unwrap_or_default();
            view! {
                <p class="form-total" data-testid=format!("{id}-total-{}", total.column_id)>
                    {total.label.clone()} {lang.pick("合计：", " total: ")} <strong>{sum}</strong> {unit}
                    {move || words().map(|w| view! { <span class="form-upper">{w}</span> })}
                </p>
            }
        })
        .collect_view();
    view! {
        <div class="form-table">
            {move || (0..count.get()).map(row_view.clone()).collect_view()}
            <button type="button" class="form-row-add" data-testid=format!("{id}-add") on:click=add>
                {"+ "}
                {action_name.unwrap_or_else(|| lang.pick("添加明细", "Add item").to_owned())}
            </button>
            {totals_view}
        </div>
    }
}
