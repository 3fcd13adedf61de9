//! nginx with the repository's configuration (`deploy/nginx`), its ports and paths
//! filled in, in front of two nodes. Used when `MADANG_TEST_NGINX=1`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Nginx {
    pub base: String,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn deploy() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

fn binary() -> PathBuf {
    ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .expect("MADANG_TEST_NGINX=1 needs nginx (apt-get install nginx)")
}

impl Nginx {
    pub async fn start(node1: &str, node2: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let template =
            std::fs::read_to_string(deploy().join("nginx/madang.conf.template")).unwrap();
        let site = template
            .replace("${MADANG_NODE_1}", node1)
            .replace("${MADANG_NODE_2}", node2)
            .replace("${NGINX_LISTEN}", &format!("127.0.0.1:{port}"));
        assert!(
            !site.contains("${"),
            "a variable of the template was not filled in"
        );
        std::fs::copy(
            deploy().join("nginx/madang-proxy.conf"),
            dir.path().join("madang-proxy.conf"),
        )
        .unwrap();
        let d = dir.path().display();
        // What the nginx image's own nginx.conf provides around the site snippet.
        let main = format!(
            "user root;\nworker_processes 1;\ndaemon off;\npid {d}/nginx.pid;\n\
             error_log {d}/error.log warn;\nevents {{ worker_connections 1024; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {d}/body;\n\
             proxy_temp_path {d}/proxy;\n  fastcgi_temp_path {d}/fastcgi;\n\
             uwsgi_temp_path {d}/uwsgi;\n  scgi_temp_path {d}/scgi;\n\
             types {{ text/html html; text/css css; application/javascript js; }}\n\
             default_type application/octet-stream;\n{site}\n}}\n"
        );
        std::fs::write(dir.path().join("nginx.conf"), main).unwrap();
        let child = Command::new(binary())
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(dir.path().join("nginx.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                std::fs::read_to_string(dir.path().join("error.log")).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Self {
            base: format!("http://127.0.0.1:{port}"),
            child,
            _dir: dir,
        }
    }
}
