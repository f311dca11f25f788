//! `cargo xtask demo [--user USERID]`: builds the app, starts the DingTalk emulator and the server on fixed ports
//! with a SQLite file under `data/`, opens the emulator's workbench (the app in simulated iOS/Android and desktop
//! DingTalk containers, an approver panel, the event log), and runs until Ctrl-C.

use crate::cmd::{Result, cmd, run};
use crate::services::{Output, start_both};
use crate::setup::setup;

const EMULATOR_LISTEN: &str = "127.0.0.1:3100";
const SERVER_LISTEN: &str = "127.0.0.1:8080";

/// Runs the demo.
pub fn demo(args: &[String]) -> Result {
    let user = match args {
        [] => "zhangsan".to_owned(),
        [flag, user] if flag == "--user" => user.clone(),
        _ => return Err("usage: cargo xtask demo [--user USERID]".into()),
    };
    let tools = setup()?;
    crate::build_app(&tools)?;
    run(&mut cmd("cargo", &["build", "--locked", "--workspace", "--bins"]))?;
    let data = crate::root().join("data");
    std::fs::create_dir_all(&data).map_err(|e| format!("{}: {e}", data.display()))?;
    let database = format!("sqlite://{}", data.join("shenpi.db").display());
    let (emulator, mut server) = start_both("debug", EMULATOR_LISTEN, SERVER_LISTEN, &database, |_| Output::Terminal)?;

    let workbench = format!("{}/_emulator/workbench", emulator.url);
    let screenshot = data.join(format!("demo-workbench-{user}.png"));
    let mut open = cmd("node", &["js/demo-container.mjs", &workbench, &user, &screenshot.to_string_lossy()]);
    if let Some(chromium) = crate::cmd::which("chromium") {
        open.env("CHROMIUM", chromium);
    }
    let opened = run(&mut open);
    if let Err(e) = opened {
        println!("could not open the workbench: {e}");
    }

    println!(
        "\nshenpi demo is running (Ctrl-C stops everything)\n\
         \n  app:                 {server}\n\
         \x20   in a plain browser: \"用钉钉账号登录\" leads to the emulator's web login page, where you pick a member\n\
         \x20 workbench:           {workbench}\n\
         \x20   the app in iOS/Android and desktop DingTalk containers, any member, any approver: see the window,\n\
         \x20   or the screenshot {shot}; it works in any browser on this machine\n\
         \x20 DingTalk emulator:   {emu}  (seeded org: {emu}/_emulator/org)\n\
         \x20 database:            {database}\n\
         \n  another user in the phone:  cargo xtask demo --user lisi   (or switch in the workbench)\n",
        server = server.url,
        emu = emulator.url,
        shot = screenshot.display(),
    );
    // Ctrl-C reaches the children too (same process group) and they shut down gracefully. If the server stops on
    // its own, the demo ends and dropping the emulator stops it.
    let stopped = server.wait();
    drop(emulator);
    stopped
}
