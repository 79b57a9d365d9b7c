//! A thin supervisor for `--serve`, where the command cannot replace us:
//! it runs in our process group (so the terminal's foreground group is its
//! own, and Ctrl-C, Ctrl-Z and `fg` reach it as they would without us),
//! signals other processes send us are passed on, and its end is ours: its
//! exit status, or the signal that killed it, raised on ourselves.

use std::io;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use libc::c_int;

/// Signals passed on to the command when a process sends them to us.
/// Those the terminal sends reach the command directly, being in our group.
const FORWARDED: [c_int; 6] = [
    libc::SIGINT,
    libc::SIGTERM,
    libc::SIGHUP,
    libc::SIGQUIT,
    libc::SIGUSR1,
    libc::SIGUSR2,
];

/// The write end of the pipe the signal handler reports to.
static REPORT_FD: AtomicI32 = AtomicI32::new(-1);

/// What the handler writes: signal number and `si_code`.
const RECORD: usize = 2 * size_of::<c_int>();

extern "C" fn on_signal(signal: c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: only async-signal-safe calls (write), errno kept as found.
    unsafe {
        let errno = *errno_location();
        let code = if info.is_null() { 0 } else { (*info).si_code };
        let mut record = [0u8; RECORD];
        record[..4].copy_from_slice(&signal.to_ne_bytes());
        record[4..].copy_from_slice(&code.to_ne_bytes());
        libc::write(
            REPORT_FD.load(Ordering::Relaxed),
            record.as_ptr().cast(),
            RECORD,
        );
        *errno_location() = errno;
    }
}

#[cfg(any(target_os = "linux", target_os = "android"))]
unsafe fn errno_location() -> *mut c_int {
    unsafe { libc::__errno_location() }
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
unsafe fn errno_location() -> *mut c_int {
    unsafe { libc::__error() }
}

/// Whether a signal came from a process (`kill`), not from the terminal or
/// the kernel, which deliver it to the command themselves.
fn sent_by_a_process(code: c_int) -> bool {
    if cfg!(any(target_os = "linux", target_os = "android")) {
        code <= 0 // SI_USER, SI_QUEUE, SI_TKILL, ...; the tty's is SI_KERNEL
    } else {
        true
    }
}

/// Catches the forwarded signals (those not ignored: an ignored one stays
/// ignored, and so the command inherits it). Call before spawning the command,
/// so that a signal sent meanwhile is kept for it.
fn catch_signals() -> io::Result<c_int> {
    let mut fds = [0; 2];
    // SAFETY: plain system calls on memory we own.
    unsafe {
        if libc::pipe(fds.as_mut_ptr()) != 0 {
            return Err(io::Error::last_os_error());
        }
        for fd in fds {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
        // The handler must never block.
        let flags = libc::fcntl(fds[1], libc::F_GETFL);
        libc::fcntl(fds[1], libc::F_SETFL, flags | libc::O_NONBLOCK);
        REPORT_FD.store(fds[1], Ordering::SeqCst);
        for signal in FORWARDED {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut old) != 0 {
                return Err(io::Error::last_os_error());
            }
            if old.sa_sigaction == libc::SIG_IGN {
                continue;
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            if libc::sigaction(signal, &action, std::ptr::null_mut()) != 0 {
                return Err(io::Error::last_os_error());
            }
        }
    }
    Ok(fds[0])
}

/// Starts `command` and waits for it, passing signals on; its status.
pub fn run(command: &mut Command) -> io::Result<ExitStatus> {
    let reports = catch_signals()?;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        // Should we be killed outright, the command is told (SIGTERM)
        // rather than left running without its endpoint.
        // SAFETY: getpid is async-signal-safe.
        let parent = unsafe { libc::getpid() };
        // SAFETY: prctl and getppid are async-signal-safe.
        unsafe {
            command.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) != 0 {
                    return Err(io::Error::last_os_error());
                }
                if libc::getppid() != parent {
                    return Err(io::Error::other("assume-role exited"));
                }
                Ok(())
            });
        }
    }
    let mut child = command.spawn()?;
    let pid = child.id() as libc::pid_t;
    // Held while signalling the child, and set once it is gone, so that a
    // signal never reaches another process that got its pid.
    let gone = Arc::new(Mutex::new(false));
    let forwarder_gone = gone.clone();
    thread::spawn(move || forward(reports, pid, &forwarder_gone));
    wait_exited(&child)?;
    *gone.lock().unwrap_or_else(|e| e.into_inner()) = true;
    wait(&mut child)
}

fn forward(reports: c_int, pid: libc::pid_t, gone: &Mutex<bool>) {
    let mut record = [0u8; RECORD];
    loop {
        // SAFETY: reads into a buffer we own.
        let n = unsafe { libc::read(reports, record.as_mut_ptr().cast(), RECORD) };
        if n != RECORD as isize {
            if n < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        let signal = c_int::from_ne_bytes(record[..4].try_into().expect("4 bytes"));
        let code = c_int::from_ne_bytes(record[4..].try_into().expect("4 bytes"));
        if !sent_by_a_process(code) {
            continue;
        }
        let gone = gone.lock().unwrap_or_else(|e| e.into_inner());
        if !*gone {
            // SAFETY: the child is not reaped yet, so `pid` is still its.
            unsafe { libc::kill(pid, signal) };
        }
    }
}

/// Waits until the child has exited, leaving it unreaped.
fn wait_exited(child: &Child) -> io::Result<()> {
    loop {
        // SAFETY: waitid writes into the siginfo we own.
        let r = unsafe {
            let mut info: libc::siginfo_t = std::mem::zeroed();
            libc::waitid(
                libc::P_PID,
                child.id() as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if r == 0 {
            return Ok(());
        }
        let err = io::Error::last_os_error();
        if err.kind() != io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
}

fn wait(child: &mut Child) -> io::Result<ExitStatus> {
    loop {
        match child.wait() {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// Ends this process as `status` ended the command: the same exit code, or
/// the same signal raised on ourselves (without a second core dump).
/// Returns only if the signal did not end us: the shell's `128 + N`.
pub fn mirror(status: ExitStatus) -> u8 {
    if let Some(code) = status.code() {
        return code as u8;
    }
    let Some(signal) = status.signal() else {
        return 1;
    };
    // SAFETY: plain system calls; nothing of ours is touched.
    unsafe {
        if status.core_dumped() {
            let none = libc::rlimit {
                rlim_cur: 0,
                rlim_max: 0,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &none);
        }
        libc::signal(signal, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signal);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(signal);
    }
    128u8.wrapping_add(signal as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn signals_from_the_terminal_are_not_passed_on_again() {
        assert!(!sent_by_a_process(libc::SI_KERNEL));
        assert!(sent_by_a_process(libc::SI_USER));
        assert!(sent_by_a_process(libc::SI_QUEUE));
        assert!(sent_by_a_process(libc::SI_TKILL));
    }
}
