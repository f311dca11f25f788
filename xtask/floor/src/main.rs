//! The smallest app with what shenpi's first screen is built from: Leptos with its router, one JSON fetch with
//! gloo-net and serde, a list, an input and a second route. `cargo xtask bench floor` measures it.

use leptos::prelude::*;
use leptos_router::components::{A, Route, Router, Routes};
use leptos_router::hooks::use_params_map;
use leptos_router::path;
use serde::Deserialize;

#[derive(Deserialize, Clone)]
struct Row {
    id: String,
    title: String,
    status: String,
    created: i64,
}

#[derive(Deserialize, Clone)]
struct Page {
    items: Vec<Row>,
}

async fn load(tab: String) -> Result<Page, String> {
    let res = gloo_net::http::Request::get(&format!("/api/inbox?tab={tab}")).send().await.map_err(|e| e.to_string())?;
    res.json::<Page>().await.map_err(|e| e.to_string())
}

#[component]
fn Inbox() -> impl IntoView {
    let params = use_params_map();
    let tab = move || params.read().get("tab").unwrap_or_default();
    let data = LocalResource::new(move || load(tab()));
    let (query, set_query) = signal(String::new());
    view! {
        <input prop:value=query on:input=move |e| set_query.set(event_target_value(&e)) />
        <Suspense fallback=|| view! { <p>"…"</p> }>
            {move || data.get().map(|page| match page {
                Ok(page) => view! {
                    <ul>
                        <For each=move || page.items.clone() key=|row| row.id.clone() let:row>
                            <li><A href=format!("/i/{}", row.id)>{row.title}</A>" "{row.status}" "{row.created}</li>
                        </For>
                    </ul>
                }.into_any(),
                Err(e) => view! { <p>{e}</p> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Detail() -> impl IntoView {
    let params = use_params_map();
    view! { <p>{move || params.read().get("id")}</p> }
}

fn main() {
    leptos::mount::mount_to_body(|| {
        view! {
            <Router>
                <Routes fallback=|| "not found">
                    <Route path=path!("/") view=Inbox />
                    <Route path=path!("/t/:tab") view=Inbox />
                    <Route path=path!("/i/:id") view=Detail />
                </Routes>
            </Router>
        }
    });
}
