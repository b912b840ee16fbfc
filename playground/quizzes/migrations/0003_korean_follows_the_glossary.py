"""Bring the shipped questions' Korean in line with KO_GLOSSARY.md on existing databases.

0002 loads the bank only into a database that lacks it, so a database made before this
release keeps the old wording (English health states inside Korean prose, three renderings
of fail open, 인터넷 연결 for the scheme, 공인/공공 for public, calques, choices in 해라체
instead of 합니다체) and one choice that lost its reason and read as if only the Classic
Load Balancer supported HTTPS. Each change is frozen
here as (question key, choice position or 0 for the question, field, old text, new text),
and a field is changed only while it still holds the old text: an admin's edit stays.
"""

from django.db import migrations

CHANGES = [
    ('alb-503-no-registered-targets', 0, 'explanation_ko', '규칙의 대상 그룹에 등록된 대상이 없으면 ALB는 503을 돌려줍니다(대상 그룹의 교차 영역이 꺼져 있고 노드의 영역에 대상이 없을 때도 마찬가지입니다). 대상이 등록되어 있지만 모두 unhealthy라면 503 대신 실패 시 개방(fail open)합니다.', '규칙의 대상 그룹에 등록된 대상이 없으면 ALB는 503을 돌려줍니다(대상 그룹의 교차 영역이 꺼져 있고 노드의 영역에 대상이 없을 때도 마찬가지입니다). 대상이 등록되어 있지만 모두 비정상이라면 503 대신 오류 시 열림(fail open)으로 동작해 모든 대상에 전달합니다.'),
    ('alb-503-no-registered-targets', 1, 'text_ko', '대상 그룹에 등록된 대상이 없다.', '대상 그룹에 등록된 대상이 없습니다.'),
    ('alb-503-no-registered-targets', 2, 'text_ko', '등록된 대상이 모두 unhealthy다.', '등록된 대상이 모두 비정상(`unhealthy`)입니다.'),
    ('alb-503-no-registered-targets', 2, 'explanation_ko', '그러면 ALB는 fail open하여 그래도 전달합니다.', '그러면 ALB는 오류 시 열림(fail open)으로 동작해 그래도 전달합니다.'),
    ('alb-503-no-registered-targets', 3, 'text_ko', '대상이 직접 503으로 응답했다.', '대상이 직접 503으로 응답했습니다.'),
    ('alb-503-no-registered-targets', 4, 'text_ko', '클라이언트가 잘못된 형식의 요청을 보냈다.', '클라이언트가 잘못된 형식의 요청을 보냈습니다.'),
    ('alb-504-target-timeout', 1, 'text_ko', '대상이 유휴 제한 시간 전에 응답하지 않았다.', '대상이 유휴 제한 시간 전에 응답하지 않았습니다.'),
    ('alb-504-target-timeout', 2, 'text_ko', '대상이 TCP 리셋으로 연결을 거부했다.', '대상이 TCP 리셋으로 연결을 거부했습니다.'),
    ('alb-504-target-timeout', 3, 'text_ko', '대상 그룹에 등록된 대상이 없다.', '대상 그룹에 등록된 대상이 없습니다.'),
    ('alb-504-target-timeout', 4, 'text_ko', 'AWS WAF가 요청을 차단했다.', 'AWS WAF가 요청을 차단했습니다.'),
    ('alb-client-ip-x-forwarded-for', 4, 'text_ko', 'ALB에서 클라이언트 IP 보존을 켜 패킷이 클라이언트 소스 주소를 유지하게 한다.', 'ALB에서 클라이언트 IP 보존을 켜서 패킷이 클라이언트 소스 주소를 유지하게 합니다.'),
    ('alb-dynamic-port-mapping', 1, 'text_ko', '모든 작업을 한 대상 그룹에 각자 포트를 가진 별도 대상으로 등록한다.', '모든 작업을 한 대상 그룹에 각자 포트를 가진 별도 대상으로 등록합니다.'),
    ('alb-dynamic-port-mapping', 2, 'text_ko', '불가능하다. 작업마다 인스턴스가 따로 있어야 한다.', '불가능합니다. 작업마다 인스턴스가 따로 있어야 합니다.'),
    ('alb-dynamic-port-mapping', 3, 'text_ko', '리스너 포트 하나를 인스턴스 포트 하나에 매핑하는 Classic Load Balancer를 쓴다.', '리스너 포트 하나를 인스턴스 포트 하나에 매핑하는 Classic Load Balancer를 씁니다.'),
    ('alb-path-not-rewritten', 2, 'text_ko', '`/cat.jpg`: 일치한 접두사가 제거된다.', '`/cat.jpg`: 일치한 접두사가 제거됩니다.'),
    ('alb-path-not-rewritten', 4, 'text_ko', '`/`: 규칙은 대상 그룹의 루트로 전달한다.', '`/`: 규칙은 대상 그룹의 루트로 전달합니다.'),
    ('alb-redirect-http-to-https', 1, 'text_ko', 'ALB의 HTTP 리스너가 요청을 HTTPS로 리디렉션하도록 설정한다.', 'ALB의 HTTP 리스너가 요청을 HTTPS로 리디렉션하도록 설정합니다.'),
    ('alb-redirect-http-to-https', 2, 'text_ko', 'HTTP 리스너를 삭제해 브라우저가 HTTPS로 다시 시도하게 한다.', 'HTTP 리스너를 삭제해 브라우저가 HTTPS로 다시 시도하게 합니다.'),
    ('alb-redirect-http-to-https', 3, 'text_ko', 'ACM 인증서를 모든 EC2 인스턴스에도 설치한다.', 'ACM 인증서를 모든 EC2 인스턴스에도 설치합니다.'),
    ('alb-redirect-http-to-https', 4, 'text_ko', 'ALB 앞에 Network Load Balancer를 두어 80번 포트를 443으로 바꾼다.', 'ALB 앞에 Network Load Balancer를 두어 80번 포트를 443으로 바꿉니다.'),
    ('alb-rule-priority-first-match', 0, 'explanation_ko', '규칙은 우선순위 숫자가 작은 것부터 평가하며, 조건이 모두 일치하는 첫 규칙이 이깁니다. 규칙 10이 먼저 일치하므로 TG-A로 갑니다. 기본 규칙은 아무것도 일치하지 않을 때만 실행됩니다.', '규칙은 우선순위 숫자가 작은 것부터 평가하며, 조건이 모두 일치하는 첫 규칙이 적용됩니다. 규칙 10이 먼저 일치하므로 TG-A로 갑니다. 기본 규칙은 아무것도 일치하지 않을 때만 실행됩니다.'),
    ('alb-rule-priority-first-match', 1, 'text_ko', 'TG-A: 규칙 10이 먼저 평가되어 일치한다.', 'TG-A: 규칙 10이 먼저 평가되어 일치합니다.'),
    ('alb-rule-priority-first-match', 2, 'text_ko', 'TG-B: 호스트 일치가 경로 일치보다 구체적이다.', 'TG-B: 호스트 일치가 경로 일치보다 구체적입니다.'),
    ('alb-rule-priority-first-match', 3, 'text_ko', '둘 다: 요청이 TG-A와 TG-B로 복사된다.', '둘 다: 요청이 TG-A와 TG-B로 복사됩니다.'),
    ('alb-rule-priority-first-match', 3, 'explanation_ko', '규칙 하나만 이기며 요청은 복제되지 않습니다.', '규칙 하나만 적용되며 요청은 복제되지 않습니다.'),
    ('alb-rule-priority-first-match', 4, 'explanation_ko', '여러 규칙이 일치해도 되며 첫 규칙이 이깁니다.', '여러 규칙이 일치할 수 있으며, 그중 우선순위가 가장 높은 첫 규칙이 적용됩니다.'),
    ('alb-target-types', 0, 'explanation_ko', 'ALB 대상 유형은 instance, ip, lambda입니다. IP 대상은 프라이빗 주소(VPC 서브넷, RFC 1918 대역, 100.64.0.0/10)여야 하며 공인 주소는 거부됩니다. Network Load Balancer는 ALB의 대상이 될 수 없습니다(ALB가 NLB의 대상이 될 수는 있지만 반대는 안 됩니다).', 'ALB 대상 유형은 instance, ip, lambda입니다. IP 대상은 프라이빗 주소(VPC 서브넷, RFC 1918 대역, 100.64.0.0/10)여야 하며 퍼블릭으로 라우팅되는 주소는 거부됩니다. Network Load Balancer는 ALB의 대상이 될 수 없습니다(ALB가 NLB의 대상이 될 수는 있지만 반대는 안 됩니다).'),
    ('alb-target-types', 3, 'text_ko', '인터넷의 공인 IP 주소.', '인터넷의 퍼블릭 IP 주소.'),
    ('alb-target-types', 3, 'explanation_ko', '공인 라우팅 주소는 거부됩니다.', '퍼블릭으로 라우팅되는 주소는 거부됩니다.'),
    ('clb-connection-draining', 1, 'text_ko', '등록 취소 중인 인스턴스로 새 요청은 보내지 않으면서, 진행 중인 요청은 제한 시간(기본 300초)까지 끝내게 한다.', '등록 취소 중인 인스턴스로 새 요청은 보내지 않으면서, 진행 중인 요청은 제한 시간(기본 300초)까지 끝내게 합니다.'),
    ('clb-connection-draining', 2, 'text_ko', 'unhealthy 인스턴스의 연결을 즉시 모두 끊는다.', '비정상(`unhealthy`) 인스턴스의 연결을 즉시 모두 끊습니다.'),
    ('clb-connection-draining', 3, 'text_ko', '인스턴스의 열린 연결을 다른 인스턴스로 옮긴다.', '인스턴스의 열린 연결을 다른 인스턴스로 옮깁니다.'),
    ('clb-connection-draining', 4, 'text_ko', '서지 큐가 가득 차면 비운다.', '서지 큐가 가득 차면 비웁니다.'),
    ('clb-cross-zone-default', 2, 'text_ko', '항상 켜져 있고 끌 수 없다.', '항상 켜져 있고 끌 수 없습니다.'),
    ('clb-cross-zone-default', 3, 'text_ko', '항상 꺼져 있고 켤 수 없다.', '항상 꺼져 있고 켤 수 없습니다.'),
    ('clb-cross-zone-default', 4, 'text_ko', 'TCP 리스너에서만 쓸 수 있다.', 'TCP 리스너에서만 쓸 수 있습니다.'),
    ('clb-healthy-threshold-default', 2, 'text_ko', '약 30초: 한 번만 통과하면 된다.', '약 30초: 한 번만 통과하면 됩니다.'),
    ('clb-healthy-threshold-default', 2, 'explanation_ko', '한 번 통과로 충분한 것은 initial 상태의 새 ELBv2 대상뿐입니다.', '한 번 통과로 충분한 것은 초기(`initial`) 상태의 새 ELBv2 대상뿐입니다.'),
    ('clb-listener-protocols', 1, 'text_ko', '이전 세대이며 HTTP, HTTPS, TCP, SSL 리스너를 지원한다.', '이전 세대이며 HTTP, HTTPS, TCP, SSL 리스너를 지원합니다.'),
    ('clb-listener-protocols', 2, 'text_ko', '리스너 규칙으로 URL 경로별 라우팅을 한다.', '리스너 규칙으로 URL 경로별 라우팅을 합니다.'),
    ('clb-listener-protocols', 3, 'text_ko', 'UDP 트래픽을 부하 분산한다.', 'UDP 트래픽을 부하 분산합니다.'),
    ('clb-listener-protocols', 4, 'text_ko', '가장 새로운 유형이라 새 워크로드에 알맞다.', '가장 새로운 유형이라 새 워크로드에 알맞습니다.'),
    ('clb-routing-algorithms', 0, 'explanation_ko', 'CLB는 TCP 리스너에는 라운드 로빈을, HTTP·HTTPS 리스너에는 미해결 요청이 가장 적은 인스턴스(least outstanding requests)를 씁니다.', 'CLB는 TCP 리스너에는 라운드 로빈을, HTTP·HTTPS 리스너에는 최소 미해결 요청(least outstanding requests)을 씁니다.'),
    ('clb-routing-algorithms', 1, 'text_ko', 'HTTP/HTTPS 리스너는 미해결 요청 최소, TCP 리스너는 라운드 로빈.', 'HTTP/HTTPS 리스너는 최소 미해결 요청, TCP 리스너는 라운드 로빈.'),
    ('clb-routing-algorithms', 2, 'explanation_ko', 'HTTP 리스너는 미해결 요청 최소 방식을 씁니다.', 'HTTP 리스너는 최소 미해결 요청 방식을 씁니다.'),
    ('clb-routing-algorithms', 4, 'text_ko', '자동 대상 가중치를 쓰는 가중 랜덤.', '자동 대상 가중치를 쓰는 가중치 랜덤.'),
    ('cz-alb-target-group-override', 3, 'text_ko', '아니요, 절대 안 된다.', '아니요, 절대 끌 수 없습니다.'),
    ('cz-nlb-hot-targets', 0, 'explanation_ko', 'NLB는 교차 영역 로드 밸런싱이 기본으로 꺼져 있어 각 노드가 자기 영역의 대상만 씁니다. 로드 밸런서나 대상 그룹에서 켜세요(대상 그룹 값이 우선합니다).', 'NLB는 교차 영역 로드 밸런싱이 기본으로 꺼져 있어 각 노드가 자기 영역의 대상만 씁니다. 로드 밸런서나 대상 그룹에서 켜면 됩니다(대상 그룹 값이 우선합니다).'),
    ('cz-nlb-hot-targets', 1, 'text_ko', '교차 영역 로드 밸런싱을 켠다.', '교차 영역 로드 밸런싱을 켭니다.'),
    ('cz-nlb-hot-targets', 2, 'text_ko', '고정 세션을 켠다.', '고정 세션을 켭니다.'),
    ('cz-nlb-hot-targets', 3, 'text_ko', '상태 확인 간격을 늘린다.', '상태 확인 간격을 늘립니다.'),
    ('cz-nlb-hot-targets', 4, 'text_ko', '미해결 요청 최소 방식을 쓴다.', '최소 미해결 요청 방식을 씁니다.'),
    ('cz-on-even-shares', 4, 'text_ko', '클라이언트가 있는 AZ에 따라 다르다.', '클라이언트가 있는 AZ에 따라 다릅니다.'),
    ('elb-newer-generation', 1, 'text_ko', '기능이 더 많은 현재 세대(ALB, NLB, GWLB).', '현재 세대(ALB, NLB, GWLB). 기능이 더 많기 때문입니다.'),
    ('elb-newer-generation', 2, 'text_ko', '가장 단순한 Classic Load Balancer.', 'Classic Load Balancer. 가장 단순하기 때문입니다.'),
    ('elb-newer-generation', 3, 'text_ko', 'HTTPS를 지원하는 유일한 Classic Load Balancer.', 'Classic Load Balancer. HTTPS를 지원하는 것은 이것뿐이기 때문입니다.'),
    ('elb-newer-generation', 3, 'explanation_en', 'ALB has HTTPS listeners and NLB has TLS listeners.', 'Not so: CLB, ALB and NLB all terminate TLS (ALB on HTTPS listeners, NLB on TLS listeners).'),
    ('elb-newer-generation', 3, 'explanation_ko', 'ALB에는 HTTPS 리스너, NLB에는 TLS 리스너가 있습니다.', '그렇지 않습니다. CLB, ALB, NLB 모두 TLS를 종료합니다(ALB는 HTTPS 리스너, NLB는 TLS 리스너).'),
    ('elb-newer-generation', 4, 'text_ko', '상관없다. 모든 유형의 기능이 같다.', '상관없습니다. 모든 유형의 기능이 같기 때문입니다.'),
    ('elb-own-lb-tradeoff', 1, 'text_ko', '비용은 줄 수 있지만 로드 밸런서의 확장·패치·가용성 유지를 팀이 직접 해야 한다.', '비용은 줄 수 있지만 로드 밸런서의 확장·패치·가용성 유지를 팀이 직접 해야 합니다.'),
    ('elb-own-lb-tradeoff', 2, 'text_ko', '없다. 자체 관리 로드 밸런서도 자동으로 확장된다.', '없습니다. 자체 관리 로드 밸런서도 자동으로 확장됩니다.'),
    ('elb-own-lb-tradeoff', 3, 'text_ko', 'ELB가 지원하지 않는 HTTPS를 잃는다.', 'ELB가 지원하지 않는 HTTPS를 잃습니다.'),
    ('elb-own-lb-tradeoff', 4, 'text_ko', 'ELB에 없는 다중 AZ 가용성을 얻는다.', 'ELB에 없는 다중 AZ 가용성을 얻습니다.'),
    ('gwlb-endpoints-route-tables', 1, 'text_ko', '라우팅 테이블이 Gateway Load Balancer 엔드포인트를 다음 홉으로 보낸다.', '라우팅 테이블이 Gateway Load Balancer 엔드포인트를 다음 홉으로 지정해 보냅니다.'),
    ('gwlb-endpoints-route-tables', 2, 'text_ko', '클라이언트에 GWLB의 DNS 이름을 설정한다.', '클라이언트에 GWLB의 DNS 이름을 설정합니다.'),
    ('gwlb-endpoints-route-tables', 3, 'text_ko', 'GWLB를 VPC의 인터넷 게이트웨이로 연결한다.', 'GWLB를 VPC의 인터넷 게이트웨이로 연결합니다.'),
    ('gwlb-layer-3', 1, 'text_ko', '3계층. 프로토콜과 포트가 없는 리스너 하나가 모든 IP 패킷을 받는다.', '3계층. 프로토콜과 포트가 없는 리스너 하나가 모든 IP 패킷을 받습니다.'),
    ('gwlb-layer-3', 4, 'text_ko', '2계층. 이더넷 프레임을 브리지한다.', '2계층. 이더넷 프레임을 브리지합니다.'),
    ('gwlb-no-fail-open', 0, 'prompt_ko', 'Gateway Load Balancer 뒤의 모든 어플라이언스가 unhealthy입니다. 새 흐름은 어떻게 됩니까?', 'Gateway Load Balancer 뒤의 모든 어플라이언스가 비정상(`unhealthy`)입니다. 새 흐름은 어떻게 됩니까?'),
    ('gwlb-no-fail-open', 0, 'explanation_ko', 'GWLB는 ALB처럼 fail open하지 않습니다. 새 흐름마다 무작위 대상을 골라 흐름이 끝날 때까지 유지하므로, 그 어플라이언스가 복구될 때까지 트래픽이 버려집니다. 검사를 건너뛰는 일은 없습니다.', 'GWLB는 ALB와 달리 오류 시 열림(fail open)으로 동작하지 않습니다. 새 흐름마다 무작위 대상을 골라 흐름이 끝날 때까지 유지하므로, 그 어플라이언스가 복구될 때까지 트래픽이 버려집니다. 검사를 건너뛰는 일은 없습니다.'),
    ('gwlb-no-fail-open', 1, 'text_ko', '각 흐름이 무작위 어플라이언스로 가고, 복구될 때까지 버려진다.', '각 흐름이 무작위 어플라이언스로 가고, 복구될 때까지 버려집니다.'),
    ('gwlb-no-fail-open', 1, 'explanation_ko', '맞습니다. fail open이 없습니다.', '맞습니다. 오류 시 열림이 없습니다.'),
    ('gwlb-no-fail-open', 2, 'text_ko', '트래픽이 어플라이언스를 우회해 목적지로 바로 간다.', '트래픽이 어플라이언스를 우회해 목적지로 바로 갑니다.'),
    ('gwlb-no-fail-open', 3, 'text_ko', 'fail open하여 라운드 로빈으로 모든 어플라이언스에 흐름을 나눈다.', '오류 시 열림(fail open)으로 동작해 라운드 로빈으로 모든 어플라이언스에 흐름을 나눕니다.'),
    ('gwlb-no-fail-open', 3, 'explanation_ko', 'fail open은 ALB/NLB의 동작입니다.', '오류 시 열림은 ALB/NLB의 동작입니다.'),
    ('gwlb-no-fail-open', 4, 'text_ko', '클라이언트에 503으로 응답한다.', '클라이언트에 503으로 응답합니다.'),
    ('gwlb-no-security-groups', 1, 'text_ko', 'GWLB에는 보안 그룹이 없다. 어플라이언스 보안 그룹이 UDP 6081과 상태 확인 포트를 허용해야 한다.', 'GWLB에는 보안 그룹이 없습니다. 어플라이언스 보안 그룹이 UDP 6081과 상태 확인 포트를 허용해야 합니다.'),
    ('gwlb-no-security-groups', 2, 'text_ko', 'GWLB에는 모든 인바운드를 허용하는 보안 그룹이 있어야 한다.', 'GWLB에는 모든 인바운드를 허용하는 보안 그룹이 있어야 합니다.'),
    ('gwlb-no-security-groups', 3, 'text_ko', 'GWLB를 만들 때만 보안 그룹을 붙일 수 있다.', 'GWLB를 만들 때만 보안 그룹을 붙일 수 있습니다.'),
    ('gwlb-no-security-groups', 4, 'text_ko', 'GWLB의 보안 그룹이 어플라이언스의 방화벽 규칙을 대신한다.', 'GWLB의 보안 그룹이 어플라이언스의 방화벽 규칙을 대신합니다.'),
    ('hc-alb-defaults', 0, 'prompt_ko', '인스턴스 대상에 대한 ALB 기본 상태 확인 설정에서, 대상은 얼마나 자주 확인되고 몇 번 연속 실패하면 unhealthy가 됩니까?', '인스턴스 대상에 대한 ALB 기본 상태 확인 설정에서, 대상은 얼마나 자주 확인되고 몇 번 연속 실패하면 비정상(`unhealthy`)이 됩니까?'),
    ('hc-alb-defaults', 1, 'explanation_ko', '맞습니다(다시 healthy가 되려면 연속 5회 통과).', '맞습니다. 다시 정상(`healthy`)이 되려면 연속 5회 통과해야 합니다.'),
    ('hc-alb-fails-open', 0, 'prompt_ko', 'ALB 대상 그룹에 등록된 모든 대상이 unhealthy입니다. ALB는 이 대상 그룹으로 가는 새 요청을 어떻게 처리합니까?', 'ALB 대상 그룹에 등록된 모든 대상이 비정상(`unhealthy`)입니다. ALB는 이 대상 그룹으로 가는 새 요청을 어떻게 처리합니까?'),
    ('hc-alb-fails-open', 0, 'explanation_ko', 'ALB는 실패 시 개방(fail open)합니다. 정상 대상이 없으면 일반 알고리즘으로 등록된 모든 대상에 라우팅해 일부라도 응답하기를 기대합니다(UnhealthyRoutingRequestCount가 이런 요청을 셉니다). 503은 대상 그룹에 등록된 대상이 하나도 없을 때 돌려줍니다.', 'ALB는 오류 시 열림(fail open)으로 동작합니다. 정상 대상이 없으면 일반 알고리즘으로 등록된 모든 대상에 라우팅해 일부라도 응답하기를 기대합니다(UnhealthyRoutingRequestCount가 이런 요청을 셉니다). 503은 대상 그룹에 등록된 대상이 하나도 없을 때 돌려줍니다.'),
    ('hc-alb-fails-open', 1, 'text_ko', '실패 시 개방(fail open)하여 모든 대상에 그대로 라우팅한다.', '오류 시 열림(fail open)으로 동작해 모든 대상에 그대로 라우팅합니다.'),
    ('hc-alb-fails-open', 2, 'text_ko', '모든 요청에 503으로 응답한다.', '모든 요청에 503으로 응답합니다.'),
    ('hc-alb-fails-open', 3, 'text_ko', '요청을 다른 대상 그룹으로 보낸다.', '요청을 다른 대상 그룹으로 보냅니다.'),
    ('hc-alb-fails-open', 4, 'text_ko', '대상이 정상이 될 때까지 요청을 대기열에 둔다.', '대상이 정상이 될 때까지 요청을 대기열에 둡니다.'),
    ('hc-deregistration-draining', 0, 'explanation_ko', '등록 취소하면 새 요청은 즉시 멈추고, 진행 중인 요청이 끝나는 동안 대상은 draining(Target.DeregistrationInProgress)으로 표시됩니다. 최대 등록 취소 지연 시간(기본 300초)이 지나면 대상이 제거됩니다.', '등록 취소하면 새 요청은 즉시 멈추고, 진행 중인 요청이 끝나는 동안 대상은 드레이닝(`draining`, Target.DeregistrationInProgress)으로 표시됩니다. 최대 등록 취소 지연 시간(기본 300초)이 지나면 대상이 제거됩니다.'),
    ('hc-deregistration-draining', 1, 'text_ko', 'draining으로 표시되어 새 요청은 없고, 진행 중인 요청은 최대 300초 안에 끝낼 수 있다.', '드레이닝(`draining`)으로 표시되어 새 요청은 받지 않고, 진행 중인 요청은 최대 300초 안에 끝낼 수 있습니다.'),
    ('hc-deregistration-draining', 2, 'text_ko', '열린 연결이 모두 즉시 끊긴다.', '열린 연결이 모두 즉시 끊깁니다.'),
    ('hc-deregistration-draining', 3, 'text_ko', '300초 동안 새 요청을 계속 받는다.', '300초 동안 새 요청을 계속 받습니다.'),
    ('hc-deregistration-draining', 4, 'text_ko', 'unhealthy로 표시되고 종료된다.', '비정상으로 표시되고 종료됩니다.'),
    ('hc-deregistration-draining', 4, 'explanation_ko', 'draining은 unhealthy가 아니며 로드 밸런서는 아무것도 종료하지 않습니다.', '드레이닝은 비정상(`unhealthy`)이 아니며 로드 밸런서는 아무것도 종료하지 않습니다.'),
    ('hc-redirecting-path-fails', 0, 'explanation_ko', 'ALB의 기본 성공 코드는 200입니다. 302는 일치하지 않으므로 확인이 Target.ResponseCodeMismatch로 실패하고 대상은 unhealthy가 됩니다. 200을 돌려주는 경로를 쓰거나 성공 코드에 302를 넣으세요(ALB는 200–499 허용).', 'ALB의 기본 성공 코드는 200입니다. 302는 일치하지 않으므로 확인이 Target.ResponseCodeMismatch로 실패하고 대상은 비정상이 됩니다. 200을 돌려주는 경로를 쓰거나 성공 코드에 302를 넣어야 합니다(ALB는 200–499를 허용합니다).'),
    ('hc-redirecting-path-fails', 1, 'text_ko', '대상이 Target.ResponseCodeMismatch로 unhealthy가 된다.', '대상이 Target.ResponseCodeMismatch로 비정상(`unhealthy`)이 됩니다.'),
    ('hc-redirecting-path-fails', 2, 'text_ko', '상태 확인기가 리디렉션을 따라가 로그인 페이지를 확인한다.', '상태 확인기가 리디렉션을 따라가 로그인 페이지를 확인합니다.'),
    ('hc-redirecting-path-fails', 3, 'text_ko', '2XX나 3XX는 모두 성공이므로 healthy로 남는다.', '2XX나 3XX는 모두 성공이므로 정상(`healthy`)으로 남습니다.'),
    ('hc-redirecting-path-fails', 4, 'text_ko', '대상이 Target.Timeout으로 표시된다.', '대상이 Target.Timeout으로 표시됩니다.'),
    ('hc-unhealthy-target-gets-no-traffic', 0, 'explanation_ko', '연속으로 UnhealthyThresholdCount번 실패하면 대상은 unhealthy가 되어 새 요청을 받지 않습니다. 로드 밸런서는 계속 확인하다가 HealthyThresholdCount번 연속 통과하면 다시 라우팅합니다. 로드 밸런서가 직접 재부팅하거나 종료하지는 않습니다(ELB 상태 확인을 쓰는 Auto Scaling 그룹은 교체할 수 있습니다).', '연속으로 UnhealthyThresholdCount번 실패하면 대상은 비정상(`unhealthy`)이 되어 새 요청을 받지 않습니다. 로드 밸런서는 계속 확인하다가 HealthyThresholdCount번 연속 통과하면 다시 라우팅합니다. 로드 밸런서가 직접 재부팅하거나 종료하지는 않습니다(ELB 상태 확인을 쓰는 Auto Scaling 그룹은 교체할 수 있습니다).'),
    ('hc-unhealthy-target-gets-no-traffic', 1, 'text_ko', '새 요청을 보내지 않고, 다시 통과할 때까지 계속 확인한다.', '새 요청을 보내지 않고, 다시 통과할 때까지 계속 확인합니다.'),
    ('hc-unhealthy-target-gets-no-traffic', 2, 'text_ko', '인스턴스를 종료한다.', '인스턴스를 종료합니다.'),
    ('hc-unhealthy-target-gets-no-traffic', 3, 'text_ko', '인스턴스를 재부팅한다.', '인스턴스를 재부팅합니다.'),
    ('hc-unhealthy-target-gets-no-traffic', 4, 'text_ko', '계속 요청을 보내고 실패하면 다른 대상에서 재시도한다.', '계속 요청을 보내고 실패하면 다른 대상에서 재시도합니다.'),
    ('hc-unhealthy-target-gets-no-traffic', 4, 'explanation_ko', '정상 대상이 있는 동안 unhealthy 대상은 순환에서 빠집니다.', '정상 대상이 있는 동안 비정상 대상은 순환에서 빠집니다.'),
    ('lb-forwards-to-many-targets', 1, 'text_ko', '클라이언트 트래픽을 받아 각 요청이나 연결을 여러 대상 중 하나로 전달한다.', '클라이언트 트래픽을 받아 각 요청이나 연결을 여러 대상 중 하나로 전달합니다.'),
    ('lb-forwards-to-many-targets', 2, 'text_ko', '인스턴스들의 EBS 볼륨 사이에서 데이터를 복제해 같은 상태로 유지한다.', '인스턴스들의 EBS 볼륨 사이에서 데이터를 복제해 같은 상태로 유지합니다.'),
    ('lb-forwards-to-many-targets', 3, 'text_ko', '모든 인스턴스에 퍼블릭 IP를 붙여 클라이언트가 직접 하나를 고르게 한다.', '모든 인스턴스에 퍼블릭 IP를 붙여 클라이언트가 직접 하나를 고르게 합니다.'),
    ('lb-forwards-to-many-targets', 4, 'text_ko', '인스턴스가 바빠지면 CPU와 메모리를 늘려 준다.', '인스턴스가 바빠지면 CPU와 메모리를 늘려 줍니다.'),
    ('lb-internal-scheme-dns', 0, 'explanation_ko', '인터넷 연결 로드 밸런서와 내부 로드 밸런서 모두 DNS 이름은 공개적으로 해석됩니다. 내부 로드 밸런서는 노드의 프라이빗 IP로 해석되므로 VPC로 라우팅할 수 있는 클라이언트만 실제로 접속할 수 있습니다.', '인터넷 경계 로드 밸런서와 내부 로드 밸런서 모두 DNS 이름은 공개적으로 해석됩니다. 내부 로드 밸런서는 노드의 프라이빗 IP로 해석되므로 VPC로 라우팅할 수 있는 클라이언트만 실제로 접속할 수 있습니다.'),
    ('lb-internal-scheme-dns', 1, 'text_ko', '공개적으로 해석되며, 노드의 프라이빗 IP 주소를 돌려준다.', '공개적으로 해석되며, 노드의 프라이빗 IP 주소를 돌려줍니다.'),
    ('lb-internal-scheme-dns', 2, 'text_ko', 'VPC 밖에서는 해석할 수 없다.', 'VPC 밖에서는 해석할 수 없습니다.'),
    ('lb-internal-scheme-dns', 3, 'text_ko', '퍼블릭 IP로 해석되고 보안 그룹이 인터넷 사용자를 막는다.', '퍼블릭 IP로 해석되고 보안 그룹이 인터넷 사용자를 막습니다.'),
    ('lb-internal-scheme-dns', 4, 'text_ko', 'DNS 이름이 없어 클라이언트는 노드 IP를 쓴다.', 'DNS 이름이 없어 클라이언트는 노드 IP를 씁니다.'),
    ('lb-one-node-per-az', 1, 'text_ko', '활성화한 AZ마다 노드가 하나씩 있고, 클라이언트는 DNS 이름으로 노드에 닿으며 요청을 받은 노드가 대상을 고른다.', '활성화한 AZ마다 노드가 하나씩 있고, 클라이언트는 DNS 이름으로 노드에 닿으며 요청을 받은 노드가 대상을 고릅니다.'),
    ('lb-one-node-per-az', 2, 'text_ko', '한 AZ에 노드 하나가 있고, 그 AZ가 장애 나면 대기 노드가 넘겨받는다.', '한 AZ에 노드 하나가 있고, 그 AZ에 장애가 나면 대기 노드가 넘겨받습니다.'),
    ('lb-one-node-per-az', 3, 'text_ko', '등록된 대상마다 노드가 하나씩 있다.', '등록된 대상마다 노드가 하나씩 있습니다.'),
    ('lb-one-node-per-az', 4, 'text_ko', '리전 전체에 AZ 밖의 노드 하나가 있다.', '리전 전체에 AZ 밖의 노드 하나가 있습니다.'),
    ('lb-public-lb-private-targets', 0, 'explanation_ko', '인터넷 연결(internet-facing) 로드 밸런서는 퍼블릭 서브넷에 두고 대상에는 프라이빗 IP로 접근하므로, 인스턴스는 퍼블릭 IP 없이 프라이빗 서브넷에 둘 수 있습니다. 이것이 로드 밸런서로 공공 트래픽과 내부 트래픽을 분리하는 방법입니다.', '인터넷 경계(internet-facing) 로드 밸런서는 퍼블릭 서브넷에 두고 대상에는 프라이빗 IP로 접근하므로, 인스턴스는 퍼블릭 IP 없이 프라이빗 서브넷에 둘 수 있습니다. 이것이 로드 밸런서로 퍼블릭 트래픽과 프라이빗 트래픽을 분리하는 방법입니다.'),
    ('lb-public-lb-private-targets', 1, 'text_ko', '퍼블릭 서브넷에 인터넷 연결 로드 밸런서, 퍼블릭 IP 없는 대상은 프라이빗 서브넷에.', '퍼블릭 서브넷에 인터넷 경계 로드 밸런서, 퍼블릭 IP 없는 대상은 프라이빗 서브넷에.'),
    ('lb-public-lb-private-targets', 2, 'text_ko', '대상에 퍼블릭 IP가 있어야 로드 밸런서가 접근할 수 있다.', '대상에 퍼블릭 IP가 있어야 로드 밸런서가 접근할 수 있습니다.'),
    ('lb-public-lb-private-targets', 2, 'explanation_ko', '인터넷 연결이든 내부든 로드 밸런서는 프라이빗 IP로 대상에 접근합니다.', '인터넷 경계든 내부든 로드 밸런서는 프라이빗 IP로 대상에 접근합니다.'),
    ('lb-public-lb-private-targets', 3, 'text_ko', '프라이빗 서브넷의 내부(internal) 로드 밸런서를 인터넷 사용자가 DNS 이름으로 접속한다.', '프라이빗 서브넷에 내부(internal) 로드 밸런서를 두고, 인터넷 사용자는 DNS 이름으로 접속합니다.'),
    ('lb-public-lb-private-targets', 4, 'text_ko', '로드 밸런서와 대상은 같은 서브넷에 있어야 한다.', '로드 밸런서와 대상은 같은 서브넷에 있어야 합니다.'),
    ('lb-survive-instance-failure', 1, 'text_ko', '인스턴스 상태를 확인하고 실패한 인스턴스로는 라우팅하지 않는다.', '인스턴스 상태를 확인하고 실패한 인스턴스로는 라우팅하지 않습니다.'),
    ('lb-survive-instance-failure', 2, 'text_ko', '여러 가용 영역의 인스턴스로 트래픽을 분산한다.', '여러 가용 영역의 인스턴스로 트래픽을 분산합니다.'),
    ('lb-survive-instance-failure', 3, 'text_ko', '장애 난 인스턴스의 애플리케이션 프로세스를 재시작한다.', '장애 난 인스턴스의 애플리케이션 프로세스를 재시작합니다.'),
    ('lb-survive-instance-failure', 4, 'text_ko', '장애 난 인스턴스의 메모리 세션을 다른 인스턴스로 복사한다.', '장애 난 인스턴스의 메모리 세션을 다른 인스턴스로 복사합니다.'),
    ('lb-survive-instance-failure', 4, 'explanation_ko', '로드 밸런서는 애플리케이션 메모리를 보거나 옮길 수 없습니다. 세션은 공유 저장소에 두세요.', '로드 밸런서는 애플리케이션 메모리를 보거나 옮길 수 없습니다. 세션은 공유 저장소에 두어야 합니다.'),
    ('nlb-fixed-static-ips', 0, 'explanation_ko', 'Network Load Balancer는 활성화된 AZ마다 수명 동안 바뀌지 않는 고정 IP를 하나씩 가지며, 인터넷 연결 NLB는 AZ마다 자신의 탄력적 IP를 쓸 수 있습니다. ALB와 CLB의 주소는 바뀔 수 있어 DNS 이름으로 접속해야 합니다.', 'Network Load Balancer는 활성화된 AZ마다 수명 동안 바뀌지 않는 고정 IP를 하나씩 가지며, 인터넷 경계 NLB는 AZ마다 자신의 탄력적 IP를 쓸 수 있습니다. ALB와 CLB의 주소는 바뀔 수 있어 DNS 이름으로 접속해야 합니다.'),
    ('nlb-security-group-only-at-creation', 1, 'text_ko', '보안 그룹을 지정해 NLB를 새로 만든다. 나중에 추가할 수 없다.', '보안 그룹을 지정해 NLB를 새로 만듭니다. 나중에 추가할 수 없습니다.'),
    ('nlb-security-group-only-at-creation', 2, 'text_ko', '콘솔에서 언제든 붙인다.', '콘솔에서 언제든 붙입니다.'),
    ('nlb-security-group-only-at-creation', 3, 'text_ko', 'NLB의 탄력적 IP에 붙인다.', 'NLB의 탄력적 IP에 붙입니다.'),
    ('nlb-security-group-only-at-creation', 4, 'text_ko', '아무것도 못 한다. NLB는 보안 그룹을 지원하지 않는다.', '아무것도 할 수 없습니다. NLB는 보안 그룹을 지원하지 않습니다.'),
    ('sg-alb-outbound-to-targets', 3, 'text_ko', '없다. ALB에는 아웃바운드 규칙이 필요 없다.', '없습니다. ALB에는 아웃바운드 규칙이 필요 없습니다.'),
    ('sg-blocked-health-check-times-out', 0, 'prompt_ko', 'ALB 대상 그룹이 트래픽은 80번 포트로 보내고 상태 확인은 8080번 포트로 합니다. 대상 보안 그룹은 ALB에서 오는 80번 포트만 허용합니다. 직접 시험하면 대상은 잘 동작하지만 `Target.Timeout`으로 unhealthy가 됩니다. 이유는 무엇입니까?', 'ALB 대상 그룹이 트래픽은 80번 포트로 보내고 상태 확인은 8080번 포트로 합니다. 대상 보안 그룹은 ALB에서 오는 80번 포트만 허용합니다. 직접 시험하면 대상은 잘 동작하지만 `Target.Timeout`으로 비정상(`unhealthy`)이 됩니다. 이유는 무엇입니까?'),
    ('sg-blocked-health-check-times-out', 0, 'explanation_ko', '보안 그룹이 8080번 포트로 가는 확인 요청을 소리 없이 버리므로 상태 확인기는 응답을 받지 못하고 시간 초과가 납니다. ALB 보안 그룹에서 오는 상태 확인 포트도 허용하세요(ALB의 아웃바운드 규칙도 그 포트로 나갈 수 있어야 합니다).', '보안 그룹이 8080번 포트로 가는 확인 요청을 소리 없이 버리므로 상태 확인기는 응답을 받지 못하고 시간 초과가 납니다. ALB 보안 그룹에서 오는 상태 확인 포트도 허용해야 합니다(ALB의 아웃바운드 규칙도 그 포트로 나갈 수 있어야 합니다).'),
    ('sg-blocked-health-check-times-out', 1, 'text_ko', '보안 그룹이 8080번 포트의 상태 확인을 버려 시간 초과가 난다.', '보안 그룹이 8080번 포트의 상태 확인을 버려 시간 초과가 납니다.'),
    ('sg-blocked-health-check-times-out', 2, 'text_ko', '애플리케이션이 상태 확인 경로에 500으로 응답한다.', '애플리케이션이 상태 확인 경로에 500으로 응답합니다.'),
    ('sg-blocked-health-check-times-out', 3, 'text_ko', '인스턴스가 중지되어 있다.', '인스턴스가 중지되어 있습니다.'),
    ('sg-blocked-health-check-times-out', 4, 'text_ko', 'ALB 보안 그룹에 8080번 인바운드 규칙이 없다.', 'ALB 보안 그룹에 8080번 인바운드 규칙이 없습니다.'),
    ('sg-internet-facing-alb-inbound', 0, 'prompt_ko', '인터넷 연결 ALB에 443번 포트의 HTTPS 리스너가 있습니다. ALB 자체의 보안 그룹에는 어떤 인바운드 규칙이 필요합니까?', '인터넷 경계 ALB에 443번 포트의 HTTPS 리스너가 있습니다. ALB 자체의 보안 그룹에는 어떤 인바운드 규칙이 필요합니까?'),
    ('sg-internet-facing-alb-inbound', 3, 'text_ko', '없다. ALB에는 보안 그룹이 없다.', '없습니다. ALB에는 보안 그룹이 없습니다.'),
    ('sg-nacl-ephemeral-ports', 3, 'text_ko', '없다. NACL도 보안 그룹처럼 상태를 저장한다.', '없습니다. NACL도 보안 그룹처럼 상태를 저장합니다.'),
    ('sg-nlb-without-sg-targets', 4, 'text_ko', '없다. NLB는 대상 보안 그룹을 우회한다.', '없습니다. NLB는 대상 보안 그룹을 우회합니다.'),
    ('sg-targets-allow-only-the-alb', 1, 'text_ko', 'ALB 보안 그룹을 소스로 애플리케이션 포트(와 상태 확인 포트)를 허용한다.', 'ALB 보안 그룹을 소스로 애플리케이션 포트(와 상태 확인 포트)를 허용합니다.'),
    ('sg-targets-allow-only-the-alb', 2, 'text_ko', '0.0.0.0/0에서 애플리케이션 포트를 허용한다.', '0.0.0.0/0에서 애플리케이션 포트를 허용합니다.'),
    ('sg-targets-allow-only-the-alb', 3, 'text_ko', 'ALB의 현재 IP 주소에서 애플리케이션 포트를 허용한다.', 'ALB의 현재 IP 주소에서 애플리케이션 포트를 허용합니다.'),
    ('sg-targets-allow-only-the-alb', 4, 'text_ko', 'VPC CIDR에서 애플리케이션 포트를 허용한다.', 'VPC CIDR에서 애플리케이션 포트를 허용합니다.'),
    ('ssl-certificates-from-acm', 4, 'text_ko', 'ALB가 자체 서명 인증서를 자동으로 만든다.', 'ALB가 자체 서명 인증서를 자동으로 만듭니다.'),
    ('ssl-http2-needs-https', 3, 'explanation_ko', 'NLB는 HTTP를 말하지 않습니다.', 'NLB는 HTTP를 해석하지 않습니다(4계층).'),
    ('ssl-http2-needs-https', 4, 'text_ko', '없다. HTTP 리스너도 HTTP/2를 협상한다.', '없습니다. HTTP 리스너도 HTTP/2를 협상합니다.'),
    ('ssl-target-certificates-not-validated', 1, 'text_ko', '동작한다. ALB는 대상 인증서를 검증하지 않는다.', '동작합니다. ALB는 대상 인증서를 검증하지 않습니다.'),
    ('ssl-target-certificates-not-validated', 2, 'text_ko', '모든 요청이 502로 실패한다.', '모든 요청이 502로 실패합니다.'),
    ('ssl-target-certificates-not-validated', 3, 'text_ko', '대상은 ACM 인증서를 써야 한다.', '대상은 ACM 인증서를 써야 합니다.'),
    ('ssl-target-certificates-not-validated', 4, 'text_ko', 'ALB가 HTTP로 되돌아간다.', 'ALB가 HTTP로 되돌아갑니다.'),
    ('ssl-termination-meaning', 1, 'text_ko', '로드 밸런서가 자신의 인증서로 HTTPS를 복호화하고 요청을 대상으로 전달한다.', '로드 밸런서가 자신의 인증서로 HTTPS를 복호화하고 요청을 대상으로 전달합니다.'),
    ('ssl-termination-meaning', 2, 'text_ko', '로드 밸런서가 암호화되지 않은 연결을 모두 거부한다.', '로드 밸런서가 암호화되지 않은 연결을 모두 거부합니다.'),
    ('ssl-termination-meaning', 3, 'text_ko', '모든 대상이 인증서를 가지고 직접 복호화해야 한다.', '모든 대상이 인증서를 가지고 직접 복호화해야 합니다.'),
    ('ssl-termination-meaning', 4, 'text_ko', '로드 밸런서가 60초 뒤 TLS 세션을 끝낸다.', '로드 밸런서가 60초 뒤 TLS 세션을 끝냅니다.'),
    ('ssl-x-forwarded-proto', 3, 'text_ko', '알 수 없다.', '알 수 없습니다.'),
    ('sticky-lb-cookie-duration', 3, 'text_ko', '브라우저 세션 동안만 유지되며 바꿀 수 없다.', '브라우저 세션 동안만 유지되며 바꿀 수 없습니다.'),
    ('sticky-nlb-source-ip', 4, 'text_ko', '없다. NLB는 고정할 수 없다.', '없습니다. NLB는 고정할 수 없습니다.'),
    ('sticky-target-unhealthy', 0, 'prompt_ko', 'AWSALB 쿠키로 클라이언트가 대상 A에 고정되어 있습니다. 대상 A가 unhealthy가 됩니다. 클라이언트의 다음 요청은 어떻게 됩니까?', 'AWSALB 쿠키로 클라이언트가 대상 A에 고정되어 있습니다. 대상 A가 비정상(`unhealthy`)이 됩니다. 클라이언트의 다음 요청은 어떻게 됩니까?'),
    ('sticky-target-unhealthy', 0, 'explanation_ko', '쿠키의 대상이 없어졌거나 unhealthy이면 ALB는 일반 알고리즘으로 새 대상을 고르고 쿠키를 다시 씁니다. 이제 클라이언트는 새 대상에 고정됩니다.', '쿠키의 대상이 없어졌거나 비정상이면 ALB는 일반 알고리즘으로 새 대상을 고르고 쿠키를 다시 씁니다. 이제 클라이언트는 새 대상에 고정됩니다.'),
    ('sticky-target-unhealthy', 1, 'text_ko', 'ALB가 새 정상 대상을 고르고 쿠키를 다시 쓴다.', 'ALB가 새 정상 대상을 고르고 쿠키를 다시 씁니다.'),
    ('sticky-target-unhealthy', 2, 'text_ko', '쿠키가 만료될 때까지 계속 대상 A로 간다.', '쿠키가 만료될 때까지 계속 대상 A로 갑니다.'),
    ('sticky-target-unhealthy', 3, 'text_ko', '대상 A가 다시 정상이 될 때까지 ALB가 503으로 응답한다.', '대상 A가 다시 정상이 될 때까지 ALB가 503으로 응답합니다.'),
    ('sticky-target-unhealthy', 4, 'text_ko', '클라이언트가 직접 쿠키를 지워야 한다.', '클라이언트가 직접 쿠키를 지워야 합니다.'),
    ('sticky-why-and-cost', 1, 'text_ko', '장바구니를 가진 인스턴스에 사용자를 묶기 위해서이며, 부하가 고르지 않을 수 있다.', '장바구니를 가진 인스턴스에 사용자를 묶기 위해서이며, 부하가 고르지 않을 수 있습니다.'),
    ('sticky-why-and-cost', 2, 'text_ko', '부하를 더 고르게 나누려고. 대가는 없다.', '부하를 더 고르게 나누기 위해서이며, 대가는 없습니다.'),
    ('sticky-why-and-cost', 3, 'text_ko', '세션을 암호화하려고. 지연 시간이 늘어난다.', '세션을 암호화하기 위해서이며, 지연 시간이 늘어납니다.'),
    ('sticky-why-and-cost', 4, 'text_ko', '장바구니를 모든 인스턴스에 복제하려고. 메모리가 든다.', '장바구니를 모든 인스턴스에 복제하기 위해서이며, 메모리가 듭니다.'),
]


def _row(apps, key, position):
    Question = apps.get_model("quizzes", "Question")
    Choice = apps.get_model("quizzes", "Choice")
    if position == 0:
        return Question.objects.filter(key=key).first()
    return Choice.objects.filter(question__key=key, position=position).first()


def _apply(apps, direction):
    for key, position, field, old, new in CHANGES:
        before, after = (old, new) if direction == "forward" else (new, old)
        row = _row(apps, key, position)
        if row is not None and getattr(row, field) == before:
            setattr(row, field, after)
            row.save(update_fields=[field])


def forward(apps, schema_editor):
    _apply(apps, "forward")


def backward(apps, schema_editor):
    _apply(apps, "backward")


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0002_ship_question_bank")]

    operations = [migrations.RunPython(forward, backward)]
